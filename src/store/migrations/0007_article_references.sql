-- What an article cites rather than accuses (src/extract: `references`): the links, sites and
-- contact addresses it names. Kept with the article for the Articles API; never IOC records.
create table article_references (
  article_id uuid not null references articles (id) on delete cascade,
  type text not null check (type in ('url', 'domain', 'email')),
  value text not null,
  reason text not null,
  primary key (article_id, type, value)
);
