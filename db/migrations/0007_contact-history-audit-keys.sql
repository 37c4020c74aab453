ALTER TABLE "audit_events" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
CREATE INDEX "collector_tasks_history_idx" ON "collector_tasks" USING btree ("loan_id","completed_at") WHERE status = 'done' AND outcome IS NOT NULL AND kind IN ('call', 'visit');--> statement-breakpoint
CREATE INDEX "contact_attempts_history_idx" ON "contact_attempts" USING btree ("loan_id",coalesce("sent_at", "created_at")) WHERE status IN ('sent', 'presumed_sent');--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_idempotency_key_unique" UNIQUE("idempotency_key");