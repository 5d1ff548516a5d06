-- MISP joins the formats of the paid tier (src/export/misp.ts): the list's format=misp and the
-- MISP feed at /api/v1/misp/feed/.
update tiers set list_formats = array_append(list_formats, 'misp') where name = 'pro' and not ('misp' = any (list_formats));
