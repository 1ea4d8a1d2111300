CREATE TABLE "space_merges" (
	"guest_space_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"user_space_id" text NOT NULL,
	"moved" integer DEFAULT 0 NOT NULL,
	"version" bigint,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "space_merges" ADD CONSTRAINT "space_merges_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;