CREATE TABLE "avatars" (
	"space_id" text NOT NULL,
	"id" uuid NOT NULL,
	"emoji" text NOT NULL,
	"name" text NOT NULL,
	"is_active" boolean DEFAULT false NOT NULL,
	"position" text COLLATE "C" NOT NULL,
	"version" bigint NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "avatars_space_id_id_pk" PRIMARY KEY("space_id","id"),
	CONSTRAINT "avatars_name_valid" CHECK (char_length("avatars"."name") between 1 and 40
        and "avatars"."name" = btrim("avatars"."name")
        and "avatars"."name" !~ '[\x01-\x1f\x7f-\x9f]'),
	CONSTRAINT "avatars_emoji_valid" CHECK (char_length("avatars"."emoji") between 1 and 16
        and "avatars"."emoji" !~ '[[:space:]\x01-\x1f\x7f-\x9f]'),
	CONSTRAINT "avatars_position_valid" CHECK ("avatars"."position" ~ '^[0-9a-z]*[1-9a-z]$'
        and char_length("avatars"."position") <= 200)
);
--> statement-breakpoint
CREATE TABLE "avatars_base" (
	"space_id" text NOT NULL,
	"id" uuid NOT NULL,
	"emoji" text NOT NULL,
	"name" text NOT NULL,
	"is_active" boolean DEFAULT false NOT NULL,
	"position" text COLLATE "C" NOT NULL,
	"version" bigint NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "avatars_base_space_id_id_pk" PRIMARY KEY("space_id","id"),
	CONSTRAINT "avatars_base_name_valid" CHECK (char_length("avatars_base"."name") between 1 and 40
        and "avatars_base"."name" = btrim("avatars_base"."name")
        and "avatars_base"."name" !~ '[\x01-\x1f\x7f-\x9f]'),
	CONSTRAINT "avatars_base_emoji_valid" CHECK (char_length("avatars_base"."emoji") between 1 and 16
        and "avatars_base"."emoji" !~ '[[:space:]\x01-\x1f\x7f-\x9f]'),
	CONSTRAINT "avatars_base_position_valid" CHECK ("avatars_base"."position" ~ '^[0-9a-z]*[1-9a-z]$'
        and char_length("avatars_base"."position") <= 200)
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"args" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_state" (
	"key" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"client_id" text NOT NULL,
	"space_id" text,
	"cursor" text,
	"last_mutation_id" bigint DEFAULT 0 NOT NULL,
	"last_acked_id" bigint DEFAULT 0 NOT NULL,
	"schema_version" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "avatars_space_version_idx" ON "avatars" USING btree ("space_id","version");--> statement-breakpoint
CREATE INDEX "avatars_id_idx" ON "avatars" USING btree ("id");--> statement-breakpoint
CREATE INDEX "avatars_base_space_version_idx" ON "avatars_base" USING btree ("space_id","version");--> statement-breakpoint
CREATE INDEX "avatars_base_id_idx" ON "avatars_base" USING btree ("id");