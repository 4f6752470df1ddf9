-- Socialstyrelsen's daily amounts, each with its source; administrators add years.
CREATE TABLE daily_rates (
    year INTEGER PRIMARY KEY,
    amount_sek BIGINT NOT NULL,
    source TEXT NOT NULL,
    entered_at TIMESTAMP NOT NULL
);
INSERT INTO daily_rates (year, amount_sek, source, entered_at) VALUES
    (2019, 7800, 'HSLF-FS 2018:67', CURRENT_TIMESTAMP),
    (2020, 8200, 'Publicerat av regionala samverkansorgan med hänvisning till Socialstyrelsen', CURRENT_TIMESTAMP),
    (2022, 9300, 'Publicerat av Vårdsamverkan Skåne med hänvisning till Socialstyrelsens föreskrift', CURRENT_TIMESTAMP);

-- One row: the dates and figures of the payment model that are decided outside it.
CREATE TABLE payment_settings (
    id INTEGER PRIMARY KEY,
    county_average_oct_2020_hundredths BIGINT,
    payment_responsibility_from DATE,
    psychiatric_transition_end DATE NOT NULL
);
INSERT INTO payment_settings (id, county_average_oct_2020_hundredths, payment_responsibility_from, psychiatric_transition_end)
    VALUES (1, NULL, NULL, '2021-07-01');
