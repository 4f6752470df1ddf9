-- The order is harmless to a schema without the ordered search: nothing to undo.
SELECT 1;
