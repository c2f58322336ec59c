// A typed client for the Kira API in TypeScript: the path and schema types are generated from
// ../openapi.yaml by openapi-typescript (ts/generated/kira.d.ts), the requests are made by
// openapi-fetch. Other language teams start from here.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/kira";

export type Schemas = components["schemas"];
export type KiraClient = Client<paths>;

/** A tenant's credentials: the API key, the client id and the password given at provisioning. */
export interface Credentials {
  apiKey: string;
  clientId: string;
  password: string;
}

/** The error every failed request answers with (4xx and 5xx alike). */
export class KiraError extends Error {
  constructor(
    readonly status: number,
    readonly body: Schemas["Error"],
  ) {
    super(`${status} ${body.code}: ${body.message}`);
  }

  /** The names of the offending fields or parameters, in the order the server lists them. */
  get fields(): string[] {
    return (this.body.errors ?? []).map((e) => e.field);
  }
}

/**
 * Authenticates with POST /auth and returns a client that sends the API key and the access token
 * on every request. Throws KiraError when the credentials are refused.
 */
export async function connect(baseUrl: string, creds: Credentials): Promise<KiraClient> {
  const anonymous = createClient<paths>({ baseUrl, headers: { "x-api-key": creds.apiKey } });
  const { data, error, response } = await anonymous.POST("/auth", {
    body: { client_id: creds.clientId, password: creds.password },
  });
  if (error !== undefined) {
    throw new KiraError(response.status, error);
  }
  const token = data.data.access_token;
  const client = createClient<paths>({ baseUrl });
  const credentials: Middleware = {
    onRequest({ request }) {
      request.headers.set("x-api-key", creds.apiKey);
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(credentials);
  return client;
}

/** Returns the data of an openapi-fetch result, or throws its error body as a KiraError. */
export function must<T>(result: { data?: T; error?: Schemas["Error"]; response: Response }): T {
  if (result.error !== undefined) {
    throw new KiraError(result.response.status, result.error);
  }
  if (result.data === undefined) {
    throw new Error(`${result.response.status}: no body`);
  }
  return result.data;
}
