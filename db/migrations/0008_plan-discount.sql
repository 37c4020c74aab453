CREATE TABLE "ledger_adjustments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"loan_id" text NOT NULL,
	"case_id" uuid,
	"kind" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"allocations" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_adjustments_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "ledger_adjustments_amount_positive" CHECK ("ledger_adjustments"."amount_minor" > 0),
	CONSTRAINT "ledger_adjustments_kind" CHECK (kind IN ('plan_discount'))
);
--> statement-breakpoint
ALTER TABLE "installments" DROP CONSTRAINT "installments_amount_paid_range";--> statement-breakpoint
DROP INDEX "installments_unpaid_idx";--> statement-breakpoint
ALTER TABLE "installments" ADD COLUMN "amount_written_down_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_plans" ADD COLUMN "discount_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_adjustments" ADD CONSTRAINT "ledger_adjustments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_adjustments" ADD CONSTRAINT "ledger_adjustments_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_adjustments_loan_idx" ON "ledger_adjustments" USING btree ("loan_id","created_at");--> statement-breakpoint
CREATE INDEX "installments_unpaid_idx" ON "installments" USING btree ("loan_id","due_date") WHERE "installments"."amount_paid_minor" + "installments"."amount_written_down_minor" < "installments"."amount_due_minor";--> statement-breakpoint
ALTER TABLE "installments" ADD CONSTRAINT "installments_amount_paid_range" CHECK ("installments"."amount_paid_minor" >= 0 AND "installments"."amount_written_down_minor" >= 0 AND "installments"."amount_paid_minor" + "installments"."amount_written_down_minor" <= "installments"."amount_due_minor");--> statement-breakpoint
ALTER TABLE "payment_plans" ADD CONSTRAINT "payment_plans_discount_non_negative" CHECK ("payment_plans"."discount_minor" >= 0);