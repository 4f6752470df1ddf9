DROP TABLE payment_settings;
DROP TABLE daily_rates;
