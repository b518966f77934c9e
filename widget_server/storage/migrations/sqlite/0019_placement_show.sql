-- A placement's joint slot option (serving/slots.py): what its block shows besides
-- partners ("partners,offer,event"); NULL leaves it to the embed's data-show.
ALTER TABLE placements ADD COLUMN show_kinds TEXT;
