-- An article known only by its id: a CSV import names the article of each record by id alone,
-- and records that share it stay related (search's relatedIOCs). Its title and URL are filled
-- in when they arrive (a JSON import, or the feed: src/store/articles.ts). Both or neither.
alter table articles
  alter column title drop not null,
  alter column url drop not null,
  add constraint articles_described check ((title is null) = (url is null));
