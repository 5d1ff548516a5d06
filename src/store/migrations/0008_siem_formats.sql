-- CEF and OpenIOC join the formats of the paid tier (src/export/cef.ts, openioc.ts): SIEMs and
-- EDRs poll them as they poll csv and txt.
update tiers set list_formats = array_append(list_formats, 'cef') where name = 'pro' and not ('cef' = any (list_formats));
update tiers set list_formats = array_append(list_formats, 'openioc') where name = 'pro' and not ('openioc' = any (list_formats));
