CREATE TABLE "borrower_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"loan_id" text NOT NULL,
	"case_id" uuid,
	"contact_key" text,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text,
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "borrower_links_contact_key_unique" UNIQUE("contact_key")
);
--> statement-breakpoint
CREATE TABLE "complaints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"loan_id" text NOT NULL,
	"case_id" uuid,
	"source" text NOT NULL,
	"text" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reviewed_at" timestamp with time zone,
	"reviewed_by" text,
	"resolution" text,
	CONSTRAINT "complaints_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "complaints_source" CHECK (source IN ('self_service', 'api')),
	CONSTRAINT "complaints_reviewed_has_resolution" CHECK (("complaints"."reviewed_at" IS NULL) = ("complaints"."resolution" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "borrower_links" ADD CONSTRAINT "borrower_links_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "borrower_links" ADD CONSTRAINT "borrower_links_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "complaints" ADD CONSTRAINT "complaints_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "complaints" ADD CONSTRAINT "complaints_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "borrower_links_loan_idx" ON "borrower_links" USING btree ("loan_id","created_at");--> statement-breakpoint
CREATE INDEX "complaints_loan_idx" ON "complaints" USING btree ("loan_id","created_at");--> statement-breakpoint
CREATE INDEX "complaints_open_idx" ON "complaints" USING btree ("created_at") WHERE "complaints"."reviewed_at" IS NULL;