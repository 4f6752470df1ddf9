DROP TABLE review_responses;
DROP TABLE review_bases;
