-- Nothing to undo: the filing times are correct data.
SELECT 1;
