// Runs the TypeScript client against a live server: `make ts-client` starts kirad in sandbox mode
// and runs this with KIRA_BASE_URL, KIRA_API_KEY, KIRA_CLIENT_ID and KIRA_PASSWORD set. Each step
// fails loudly; the process exits 1 on the first failure.
import createClient from "openapi-fetch";
import { connect, KiraError, must, type Schemas } from "./client.js";
import type { paths } from "./generated/kira";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") {
    throw new Error(`${name} is not set`);
  }
  return v;
}

function assert(cond: boolean, what: string): asserts cond {
  if (!cond) {
    throw new Error(`assertion failed: ${what}`);
  }
}

// waitReady polls GET /readyz until the server answers 200, for at most 15 s.
async function waitReady(baseUrl: string): Promise<void> {
  const probe = createClient<paths>({ baseUrl });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const { response } = await probe.GET("/readyz");
      if (response.status === 200) {
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${baseUrl} is not ready after 15s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  await waitReady(env("KIRA_BASE_URL"));
  const kira = await connect(env("KIRA_BASE_URL"), {
    apiKey: env("KIRA_API_KEY"),
    clientId: env("KIRA_CLIENT_ID"),
    password: env("KIRA_PASSWORD"),
  });

  // Create a user with an idempotency key; the same key replays the same user.
  const body: Schemas["UserCreateRequest"] = {
    type: "individual",
    email: `ts-client-${crypto.randomUUID().slice(0, 8)}@example.com`,
    first_name: "Ada",
    last_name: "Lovelace",
  };
  const key = crypto.randomUUID();
  const created = must(await kira.POST("/v1/users", { params: { header: { "Idempotency-Key": key } }, body }));
  assert(created.email === body.email, "created user has the email sent");
  assert(created.status === "CREATED", `an incomplete user is CREATED, not ${created.status}`);
  const replayed = must(await kira.POST("/v1/users", { params: { header: { "Idempotency-Key": key } }, body }));
  assert(replayed.id === created.id, "the same Idempotency-Key replays the same user");

  // Read it back.
  const read = must(await kira.GET("/v1/users/{userId}", { params: { path: { userId: created.id } } }));
  assert(read.id === created.id && read.first_name === "Ada", "GET returns the user created");

  // List: the user is on the first page.
  const page = must(await kira.GET("/v1/users", { params: { query: { limit: 100 } } }));
  assert(page.data.some((u) => u.id === created.id), "the list includes the user created");

  // A 400 in the error schema, naming the offending field without echoing its value.
  const bad = await kira.POST("/v1/users", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { ...body, email: "not-an-email" },
  });
  assert(bad.error !== undefined, "an invalid email is refused");
  const err = new KiraError(bad.response.status, bad.error);
  assert(err.status === 400 && err.body.code === "validation_error", `400 validation_error, got ${err.message}`);
  assert(err.fields.includes("email"), `the error names email, got [${err.fields.join(", ")}]`);
  assert(!JSON.stringify(err.body).includes("not-an-email"), "the error does not echo the value sent");

  console.log(`TypeScript client: authenticated, created ${created.id} (replayed with its key), read it, listed it, got 400 naming email`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
