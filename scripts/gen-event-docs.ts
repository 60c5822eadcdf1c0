/**
 * Generates docs/events.md, the event catalogue, from the zod schemas in events/.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/gen-event-docs.js > docs/events.md
 *
 * Field names, types, required/optional, defaults, enums and constraints come from the schemas
 * (zod 4's `z.toJSONSchema`, input form: what a publisher writes, before defaults are applied).
 * Subjects come from events/subjects.ts (`subjectFor` applied to placeholder events). Who appends
 * each event and what folding it does are written by hand in event-docs/catalogue.ts, from kernel/core/fold/,
 * kernel/shell/master/*, agent/ and frameworks/sdk/: keep them in step with the code. The output is
 * deterministic (no dates), so a diff shows exactly what changed.
 */
// event-docs/: schema.ts (JSON Schema of the zod shapes, field tables), catalogue.ts (the
// hand-written text per event), subjects.ts (subjects of placeholder events), render.ts (the page).
import { render } from './event-docs/render.js';

process.stdout.write(render());
