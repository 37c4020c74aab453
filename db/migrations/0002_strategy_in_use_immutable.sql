-- A strategy version that has been used by a case is immutable: cases pin (id, version), and the
-- treatment a loan received must stay explainable. Publish a new version instead.
CREATE OR REPLACE FUNCTION strategies_reject_change_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.in_use THEN
      RAISE EXCEPTION 'strategy %/v% is in use and cannot be deleted', OLD.id, OLD.version
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.in_use AND (NEW.document IS DISTINCT FROM OLD.document
                     OR NEW.id IS DISTINCT FROM OLD.id
                     OR NEW.version IS DISTINCT FROM OLD.version
                     OR NOT NEW.in_use) THEN
    RAISE EXCEPTION 'strategy %/v% is in use and immutable', OLD.id, OLD.version
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Save the change as a new version.';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER strategies_in_use_immutable
  BEFORE UPDATE OR DELETE ON strategies
  FOR EACH ROW EXECUTE FUNCTION strategies_reject_change_in_use();
