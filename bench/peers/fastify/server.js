// The Fastify peer: /plaintext, /json, and GET /tasks/:id + POST /tasks over SQLite with
// better-sqlite3 (statements prepared once). Listens on $HOST:$PORT; database file $DB.
'use strict'
const fastify = require('fastify')({ logger: false })
const Database = require('better-sqlite3')

const db = new Database(process.env.DB)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
const getStmt = db.prepare('SELECT id, title, priority, done FROM tasks WHERE id = ?')
const insStmt = db.prepare('INSERT INTO tasks (title, priority, done) VALUES (?, ?, ?)')

const row = (r) => ({ id: r.id, Title: r.title, Priority: r.priority, Done: r.done !== 0 })

fastify.get('/plaintext', (req, reply) => {
  reply.header('Content-Type', 'text/plain').send('Hello, World!')
})

fastify.get('/json', {
  schema: { response: { 200: { type: 'object', properties: { message: { type: 'string' } } } } }
}, (req, reply) => {
  reply.send({ message: 'Hello, World!' })
})

fastify.get('/tasks/:id', (req, reply) => {
  const id = Number(req.params.id)
  if (!Number.isInteger(id)) return reply.code(400).send({ status: 400, detail: 'id must be an integer' })
  const r = getStmt.get(id)
  if (!r) return reply.code(404).send({ status: 404, detail: 'no such task' })
  reply.send({ data: row(r) })
})

fastify.post('/tasks', {
  schema: {
    body: {
      type: 'object',
      required: ['Title'],
      properties: {
        Title: { type: 'string', minLength: 1, maxLength: 200 },
        Priority: { type: 'string', enum: ['Low', 'Medium', 'High'] },
        Done: { type: 'boolean' }
      }
    }
  },
  attachValidation: true
}, (req, reply) => {
  if (req.validationError) return reply.code(422).send({ status: 422, detail: req.validationError.message })
  const b = req.body
  const priority = b.Priority ?? 'Medium'
  const done = b.Done ?? false
  const info = insStmt.run(b.Title, priority, done ? 1 : 0)
  const id = Number(info.lastInsertRowid)
  reply.code(201).header('Location', `/tasks/${id}`)
    .send({ data: { id, Title: b.Title, Priority: priority, Done: done } })
})

fastify.listen({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT) })
  .catch((err) => { console.error(err); process.exit(1) })
