-- Who changed what in the admin, and when: member, theme and portal-link changes.
-- Rule changes are audited by rule_sets itself (every version keeps author and time).
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,               -- ISO time, UTC
    actor   TEXT NOT NULL,               -- "admin:koordination"
    action  TEXT NOT NULL,               -- "member.approve", "theme.edit", ...
    subject TEXT NOT NULL,               -- "member:blumen", "theme:hochzeit"
    detail  TEXT NOT NULL DEFAULT ''     -- what changed, for people
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
