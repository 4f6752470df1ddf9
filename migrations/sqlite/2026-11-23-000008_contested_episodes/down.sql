DROP TABLE contested_episodes;
DROP TABLE case_calculations;
