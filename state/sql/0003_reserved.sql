-- Placeholder: version 3 is reserved for another branch (the lead renumbers at merge and deletes this file).
SELECT 1;
