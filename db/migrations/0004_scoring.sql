CREATE TABLE "case_scores" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"case_id" uuid NOT NULL,
	"loan_id" text NOT NULL,
	"model_version" integer NOT NULL,
	"trigger" text NOT NULL,
	"probability" double precision NOT NULL,
	"reasons" jsonb NOT NULL,
	"features" jsonb NOT NULL,
	"offer" jsonb,
	"scored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "case_scores_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "case_scores_probability_range" CHECK ("case_scores"."probability" >= 0 AND "case_scores"."probability" <= 1)
);
--> statement-breakpoint
CREATE TABLE "scoring_models" (
	"version" integer PRIMARY KEY NOT NULL,
	"document" jsonb NOT NULL,
	"metrics" jsonb NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"in_use" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	CONSTRAINT "scoring_models_version_positive" CHECK ("scoring_models"."version" > 0)
);
--> statement-breakpoint
ALTER TABLE "case_scores" ADD CONSTRAINT "case_scores_case_id_collection_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."collection_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_scores" ADD CONSTRAINT "case_scores_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_scores" ADD CONSTRAINT "case_scores_model_version_scoring_models_version_fk" FOREIGN KEY ("model_version") REFERENCES "public"."scoring_models"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_scores_case_idx" ON "case_scores" USING btree ("case_id","scored_at");--> statement-breakpoint
CREATE UNIQUE INDEX "scoring_models_one_active" ON "scoring_models" USING btree ("active") WHERE "scoring_models"."active";--> statement-breakpoint
CREATE INDEX "payment_plans_loan_idx" ON "payment_plans" USING btree ("loan_id");--> statement-breakpoint
CREATE INDEX "promises_to_pay_loan_idx" ON "promises_to_pay" USING btree ("loan_id");
--> statement-breakpoint
-- A model version that scored a case is immutable, like a strategy in use (0002): the score a case was
-- given must stay explainable from the weights that produced it. Activating or deactivating it is allowed.
CREATE OR REPLACE FUNCTION scoring_models_reject_change_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.in_use THEN
      RAISE EXCEPTION 'scoring model v% has scored cases and cannot be deleted', OLD.version
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.in_use AND (NEW.document IS DISTINCT FROM OLD.document
                     OR NEW.metrics IS DISTINCT FROM OLD.metrics
                     OR NEW.version IS DISTINCT FROM OLD.version
                     OR NOT NEW.in_use) THEN
    RAISE EXCEPTION 'scoring model v% has scored cases and is immutable', OLD.version
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Fit a new version instead.';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER scoring_models_in_use_immutable
  BEFORE UPDATE OR DELETE ON scoring_models
  FOR EACH ROW EXECUTE FUNCTION scoring_models_reject_change_in_use();
