/// The PocketBase peer's schema: the same tasks table (Title 1–200, Priority Low/Medium/High,
/// Done bool), readable and creatable without auth so it measures the same work as the others.
migrate((app) => {
  const tasks = new Collection({
    type: "base",
    name: "tasks",
    listRule: "",
    viewRule: "",
    createRule: "",
    fields: [
      { name: "Title", type: "text", required: true, min: 1, max: 200 },
      { name: "Priority", type: "select", maxSelect: 1, values: ["Low", "Medium", "High"] },
      { name: "Done", type: "bool" },
    ],
  });
  app.save(tasks);
}, (app) => {
  app.delete(app.findCollectionByNameOrId("tasks"));
});
