DELETE FROM commitments;
DELETE FROM organisations;
