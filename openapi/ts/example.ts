// Hand-written consumer of the types generated from ../openapi.yaml.
// If the spec's schemas drift from what clients rely on, `npm run typecheck` fails.
import type { components, paths } from "./generated/kira";

type Schemas = components["schemas"];
type UserCreateRequest = Schemas["UserCreateRequest"];
type User = Schemas["User"];
type Event = Schemas["Event"];

// 1. A typed create-user request body.
export const createUserBody: UserCreateRequest = {
  type: "individual",
  email: "jane.doe@example.org",
  first_name: "Jane",
  last_name: "Doe",
  birth_date: "1990-01-31",
  ssn: "123-45-6789",
  document_type: "passport",
  document_number: "X1234567",
  document_country: "USA",
  address_street: "1 Main St",
  address_city: "Springfield",
  address_state: "IL",
  address_zip_code: "62701",
  address_country: "USA",
};

// Some POST operation in `paths` must accept UserCreateRequest as its JSON body.
type PostJsonBody<Item> = Item extends {
  post: { requestBody?: { content: { "application/json": infer B } } };
}
  ? B
  : never;
type CreateUserPath = {
  [P in keyof paths]: [PostJsonBody<paths[P]>] extends [never]
    ? never
    : UserCreateRequest extends PostJsonBody<paths[P]>
      ? P
      : never;
}[keyof paths];
export const hasCreateUserOperation: [CreateUserPath] extends [never] ? false : true = true;

// 2. Reading a typed User response.
export function summarizeUser(user: User): string {
  const status: User["status"] = user.status;
  const missing: readonly string[] = user.missing_fields ?? [];
  return missing.length > 0 ? `${status}: missing ${missing.join(", ")}` : status;
}

// `status` is a closed enum, not a free string.
// @ts-expect-error "definitely_not_a_status" is not a valid User status
export const invalidStatus: User["status"] = "definitely_not_a_status";

// 3. Narrowing the Event union on its `event` discriminator.
type EventName = Event["event"];
export const eventNameIsLiteralUnion: string extends EventName ? false : true = true;
type UserCreatedEvent = Extract<Event, { event: "user.created" }>;
export const userCreatedIsAVariant: [UserCreatedEvent] extends [never] ? false : true = true;

export function handleEvent(ev: Event): EventName {
  switch (ev.event) {
    case "user.created": {
      const created: UserCreatedEvent = ev; // compiles only because `ev` was narrowed
      return created.event;
    }
    default:
      return ev.event;
  }
}
