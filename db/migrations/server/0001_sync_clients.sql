CREATE TABLE "sync_clients" (
	"id" text PRIMARY KEY NOT NULL,
	"space_id" text NOT NULL,
	"last_mutation_id" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_refusals" (
	"client_id" text NOT NULL,
	"mutation_id" bigint NOT NULL,
	"code" text NOT NULL,
	"message" text NOT NULL,
	"field" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_refusals_client_id_mutation_id_pk" PRIMARY KEY("client_id","mutation_id")
);
--> statement-breakpoint
ALTER TABLE "spaces" ADD COLUMN "purged_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "avatars_id_idx" ON "avatars" USING btree ("id");