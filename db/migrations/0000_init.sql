CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"hashed_key" text NOT NULL,
	"role" text NOT NULL,
	"collector_id" text,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_hashed_key_unique" UNIQUE("hashed_key"),
	CONSTRAINT "api_keys_role" CHECK (role IN ('backend', 'collector', 'operator')),
	CONSTRAINT "api_keys_collector_has_id" CHECK (role <> 'collector' OR "api_keys"."collector_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"case_id" uuid,
	"loan_id" text,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "borrowers" (
	"id" text PRIMARY KEY NOT NULL,
	"external_ref" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"time_zone" text NOT NULL,
	"locale" text DEFAULT 'en' NOT NULL,
	"consents" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"inconvenient_times" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"agreed_to_quiet_hours" boolean DEFAULT false NOT NULL,
	"deceased" boolean DEFAULT false NOT NULL,
	"bankruptcy" boolean DEFAULT false NOT NULL,
	"represented_by_attorney" boolean DEFAULT false NOT NULL,
	"vulnerable" boolean DEFAULT false NOT NULL,
	"cease_requested_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "borrowers_external_ref_unique" UNIQUE("external_ref"),
	CONSTRAINT "borrowers_phone_e164" CHECK ("borrowers"."phone" IS NULL OR "borrowers"."phone" ~ '^\+[1-9][0-9]{6,14}$')
);
--> statement-breakpoint
CREATE TABLE "collection_cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"loan_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"strategy_id" text NOT NULL,
	"strategy_version" integer NOT NULL,
	"stage" text DEFAULT 'reminder' NOT NULL,
	"segment" text,
	"assigned_collector" text,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"outcome" text,
	CONSTRAINT "collection_cases_stage" CHECK (stage IN ('reminder', 'call', 'negotiation', 'legal', 'disputed', 'hardship', 'paused')),
	CONSTRAINT "collection_cases_outcome" CHECK (outcome IS NULL OR outcome IN ('cured', 'paid', 'settled', 'dispute_upheld', 'written_off', 'stopped_bankruptcy', 'stopped_deceased', 'handed_to_legal', 'cancelled')),
	CONSTRAINT "collection_cases_closed_has_outcome" CHECK (("collection_cases"."closed_at" IS NULL) = ("collection_cases"."outcome" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "collector_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"case_id" uuid,
	"loan_id" text NOT NULL,
	"kind" text NOT NULL,
	"collector_id" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_by" text,
	"claimed_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"outcome" text,
	"notes" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "collector_tasks_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "collector_tasks_status" CHECK (status IN ('queued', 'claimed', 'done', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "contact_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"case_id" uuid,
	"loan_id" text NOT NULL,
	"channel" text NOT NULL,
	"template" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"status" text DEFAULT 'planned' NOT NULL,
	"provider_message_id" text,
	"blocked_rule" text,
	"blocked_until" timestamp with time zone,
	"error" text,
	"connected" boolean,
	"call_outcome" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contact_attempts_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "contact_attempts_channel" CHECK (channel IN ('email', 'sms', 'call', 'letter')),
	CONSTRAINT "contact_attempts_status" CHECK (status IN ('planned', 'sending', 'sent', 'presumed_sent', 'failed', 'blocked')),
	CONSTRAINT "contact_attempts_call_outcome" CHECK (call_outcome IS NULL OR call_outcome IN ('no_answer', 'wrong_number', 'right_party_contact', 'promise_to_pay', 'refused', 'dispute_raised', 'hardship'))
);
--> statement-breakpoint
CREATE TABLE "disputes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"case_id" uuid,
	"loan_id" text NOT NULL,
	"reason" text NOT NULL,
	"amount_minor" bigint,
	"currency" text,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"outcome" text,
	CONSTRAINT "disputes_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "disputes_outcome" CHECK (outcome IS NULL OR outcome IN ('upheld', 'rejected', 'withdrawn')),
	CONSTRAINT "disputes_resolved_has_outcome" CHECK (("disputes"."resolved_at" IS NULL) = ("disputes"."outcome" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "installments" (
	"loan_id" text NOT NULL,
	"seq" integer NOT NULL,
	"due_date" date NOT NULL,
	"amount_due_minor" bigint NOT NULL,
	"amount_paid_minor" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "installments_loan_id_seq_pk" PRIMARY KEY("loan_id","seq"),
	CONSTRAINT "installments_amount_due_positive" CHECK ("installments"."amount_due_minor" > 0),
	CONSTRAINT "installments_amount_paid_range" CHECK ("installments"."amount_paid_minor" >= 0 AND "installments"."amount_paid_minor" <= "installments"."amount_due_minor")
);
--> statement-breakpoint
CREATE TABLE "legal_cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"loan_id" text NOT NULL,
	"agency" text,
	"reference" text,
	"status" text DEFAULT 'handed_over' NOT NULL,
	"handed_over_at" timestamp with time zone DEFAULT now() NOT NULL,
	"outcome" text,
	"closed_at" timestamp with time zone,
	CONSTRAINT "legal_cases_case_id_unique" UNIQUE("case_id"),
	CONSTRAINT "legal_cases_status" CHECK (status IN ('handed_over', 'closed'))
);
--> statement-breakpoint
CREATE TABLE "loans" (
	"id" text PRIMARY KEY NOT NULL,
	"borrower_id" text NOT NULL,
	"product" text NOT NULL,
	"currency" text NOT NULL,
	"principal_minor" bigint NOT NULL,
	"risk_score" integer,
	"opened_at" timestamp with time zone NOT NULL,
	"accelerated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loans_currency_iso4217" CHECK ("loans"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "loans_principal_positive" CHECK ("loans"."principal_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_allocations" (
	"payment_id" text NOT NULL,
	"loan_id" text NOT NULL,
	"installment_seq" integer NOT NULL,
	"amount_minor" bigint NOT NULL,
	CONSTRAINT "payment_allocations_payment_id_loan_id_installment_seq_pk" PRIMARY KEY("payment_id","loan_id","installment_seq"),
	CONSTRAINT "payment_allocations_amount_positive" CHECK ("payment_allocations"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"case_id" uuid NOT NULL,
	"loan_id" text NOT NULL,
	"currency" text NOT NULL,
	"total_minor" bigint NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "payment_plans_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payment_plans_total_positive" CHECK ("payment_plans"."total_minor" > 0),
	CONSTRAINT "payment_plans_status" CHECK (status IN ('active', 'completed', 'broken', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"loan_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"unallocated_minor" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "plan_installments" (
	"plan_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"due_date" date NOT NULL,
	"amount_minor" bigint NOT NULL,
	CONSTRAINT "plan_installments_plan_id_seq_pk" PRIMARY KEY("plan_id","seq"),
	CONSTRAINT "plan_installments_amount_positive" CHECK ("plan_installments"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "promises_to_pay" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"case_id" uuid NOT NULL,
	"loan_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"promised_for" date NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "promises_to_pay_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "promises_to_pay_amount_positive" CHECK ("promises_to_pay"."amount_minor" > 0),
	CONSTRAINT "promises_to_pay_status" CHECK (status IN ('open', 'kept', 'broken', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "strategies" (
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"document" jsonb NOT NULL,
	"in_use" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "strategies_id_version_pk" PRIMARY KEY("id","version"),
	CONSTRAINT "strategies_version_positive" CHECK ("strategies"."version" > 0)
);
--> statement-breakpoint
ALTER TABLE "collection_cases" ADD CONSTRAINT "collection_cases_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collector_tasks" ADD CONSTRAINT "collector_tasks_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collector_tasks" ADD CONSTRAINT "collector_tasks_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_attempts" ADD CONSTRAINT "contact_attempts_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_attempts" ADD CONSTRAINT "contact_attempts_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installments" ADD CONSTRAINT "installments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_cases" ADD CONSTRAINT "legal_cases_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_cases" ADD CONSTRAINT "legal_cases_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_borrower_id_borrowers_id_fk" FOREIGN KEY ("borrower_id") REFERENCES "public"."borrowers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_installment_fk" FOREIGN KEY ("loan_id","installment_seq") REFERENCES "public"."installments"("loan_id","seq") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_plans" ADD CONSTRAINT "payment_plans_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_plans" ADD CONSTRAINT "payment_plans_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_installments" ADD CONSTRAINT "plan_installments_plan_id_payment_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."payment_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promises_to_pay" ADD CONSTRAINT "promises_to_pay_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promises_to_pay" ADD CONSTRAINT "promises_to_pay_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_loan_idx" ON "audit_events" USING btree ("loan_id","at");--> statement-breakpoint
CREATE INDEX "audit_events_case_idx" ON "audit_events" USING btree ("case_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "collection_cases_one_open_per_loan" ON "collection_cases" USING btree ("loan_id") WHERE "collection_cases"."closed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "collection_cases_loan_idx" ON "collection_cases" USING btree ("loan_id","opened_at");--> statement-breakpoint
CREATE INDEX "collector_tasks_claimable_idx" ON "collector_tasks" USING btree ("available_at","created_at") WHERE status IN ('queued', 'claimed');--> statement-breakpoint
CREATE INDEX "collector_tasks_case_idx" ON "collector_tasks" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "contact_attempts_loan_idx" ON "contact_attempts" USING btree ("loan_id","created_at");--> statement-breakpoint
CREATE INDEX "contact_attempts_case_idx" ON "contact_attempts" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "disputes_loan_idx" ON "disputes" USING btree ("loan_id","opened_at");--> statement-breakpoint
CREATE INDEX "installments_unpaid_idx" ON "installments" USING btree ("loan_id","due_date") WHERE "installments"."amount_paid_minor" < "installments"."amount_due_minor";--> statement-breakpoint
CREATE INDEX "loans_borrower_idx" ON "loans" USING btree ("borrower_id");--> statement-breakpoint
CREATE INDEX "payment_allocations_installment_idx" ON "payment_allocations" USING btree ("loan_id","installment_seq");--> statement-breakpoint
CREATE INDEX "payment_plans_case_idx" ON "payment_plans" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "payments_loan_idx" ON "payments" USING btree ("loan_id","received_at");--> statement-breakpoint
CREATE INDEX "promises_to_pay_case_idx" ON "promises_to_pay" USING btree ("case_id");