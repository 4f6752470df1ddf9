DROP TABLE calculation_units;
DROP TABLE calculations;
