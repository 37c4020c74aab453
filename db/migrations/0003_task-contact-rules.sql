ALTER TABLE "collection_cases" ADD COLUMN "operator_paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "collection_cases" ADD COLUMN "hardship_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "collector_tasks" ADD COLUMN "cancelled_rule" text;--> statement-breakpoint
ALTER TABLE "collector_tasks" ADD COLUMN "cancelled_at" timestamp with time zone;