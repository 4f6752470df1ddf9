-- Versions cannot be folded back into one calculation per import without losing history.
DO $$ BEGIN RAISE EXCEPTION 'calculation versions cannot be reverted'; END $$;
