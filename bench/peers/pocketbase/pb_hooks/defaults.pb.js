/// Priority defaults to Medium, as in the other peers (PocketBase's select field has no default).
onRecordCreateRequest((e) => {
  if (!e.record.get("Priority")) {
    e.record.set("Priority", "Medium");
  }
  e.next();
}, "tasks");
