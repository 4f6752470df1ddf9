-- The average model (domain.md §5.2–5.3) for one month from 2021-11 on (threshold 1.30), in
-- DuckDB over the CSV as it lies: the alternative a user would reach for instead of `calc`,
-- measured against it by bench/calc_compare.py. Variables: file, month (YYYY-MM), rate (kr).
-- Amount = round half up of (A − T) × (episodes with D ≥ 1) × rate, in exact integers:
-- ((100·ΣD − 130·n) · k · rate) / (100·n).
WITH episode AS (
    SELECT
        municipality_code,
        CASE WHEN municipality_code = '0180' THEN district END AS district,
        CAST(discharged_at AS TIMESTAMP) AS discharged,
        CAST(NULLIF(ready_notice_at, '') AS TIMESTAMP) AS ready,
        coalesce(admission_notice_at, '') <> '' AS admission_sent,
        lower(coalesce(needs_sip, '')) IN ('ja', 'yes', 'true', '1') AS needs_sip,
        CAST(NULLIF(sip_called_at, '') AS TIMESTAMP) AS sip,
        lower(coalesce(patient_declined, '')) IN ('ja', 'yes', 'true', '1') AS declined
    FROM read_csv(getvariable('file'), header = true, all_varchar = true)
), judged AS (
    SELECT
        municipality_code,
        district,
        admission_sent AND ready IS NOT NULL AND NOT declined
            AND (NOT needs_sip OR CAST(sip AS DATE) <= CAST(ready AS DATE) + 3) IS TRUE AS included,
        -- Day zero: the notice's own day at or before 12:00, else the next.
        greatest(0, CAST(discharged AS DATE)
            - (CAST(ready AS DATE) + CASE WHEN CAST(ready AS TIME) <= TIME '12:00:00' THEN 0 ELSE 1 END)) AS days
    FROM episode
    WHERE strftime(discharged, '%Y-%m') = getvariable('month')
), unit AS (
    SELECT
        municipality_code,
        district,
        count(*) AS episodes_total,
        count(*) FILTER (WHERE included) AS n,
        coalesce(sum(days) FILTER (WHERE included), 0) AS total_days,
        count(*) FILTER (WHERE included AND days >= 1) AS k
    FROM judged
    GROUP BY ALL
)
SELECT
    municipality_code,
    district,
    episodes_total,
    n AS episodes_included,
    total_days,
    k AS episodes_with_days,
    CASE WHEN n = 0 OR 100 * total_days <= 130 * n THEN 0
         ELSE (2 * (100 * total_days - 130 * n) * k * getvariable('rate') + 100 * n) // (200 * n)
    END AS amount_sek
FROM unit
ORDER BY municipality_code, district NULLS FIRST;
