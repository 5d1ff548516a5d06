-- CEF joins the formats of the paid tier (src/export/cef.ts): SIEMs poll it as they poll csv and txt.
update tiers set list_formats = array_append(list_formats, 'cef') where name = 'pro' and not ('cef' = any (list_formats));
