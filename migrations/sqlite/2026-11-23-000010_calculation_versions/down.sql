-- Versions cannot be folded back into one calculation per import without losing history.
SELECT RAISE(ABORT, 'calculation versions cannot be reverted');
