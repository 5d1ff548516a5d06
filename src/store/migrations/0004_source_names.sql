-- Source names are told apart regardless of case, as every command finds them (`socd sources
-- enable urlhaus` finds URLhaus): no two sources may differ only in case.
create unique index sources_name_lower on sources (lower(name));
