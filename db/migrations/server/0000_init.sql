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
CREATE TABLE "spaces" (
	"id" text PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "avatars_space_version_idx" ON "avatars" USING btree ("space_id","version");