// Ask a user to approve a sign-in on their phone, with Node's built-in fetch.
//   COUNTERSIGN_URL=https://countersign.example.com COUNTERSIGN_API_KEY=cs_... COUNTERSIGN_USER=ada node signin.mjs
// Prints the number to show on the sign-in page, waits for the answer, and
// exits 0 if the user approved, 1 otherwise.
for (const v of ["COUNTERSIGN_URL", "COUNTERSIGN_API_KEY", "COUNTERSIGN_USER"]) {
  if (!process.env[v]) {
    console.error(`Set ${v} (the server's URL, the key from countersignd rp add, the user).`);
    process.exit(1);
  }
}
const url = process.env.COUNTERSIGN_URL.replace(/\/+$/, "");

// call: the server's answer; its refusal ends the script.
async function call(method, path, body) {
  let res;
  try {
    res = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${process.env.COUNTERSIGN_API_KEY}`, "Content-Type": "application/json" },
      body: body && JSON.stringify(body),
      signal: AbortSignal.timeout(90_000),
    });
  } catch (e) {
    console.error(`No answer from Countersign at ${url}: ${e.cause?.message ?? e.message}`);
    process.exit(1);
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = data.error ?? { code: `HTTP ${res.status}`, message: "not Countersign's answer" };
    console.error(`Countersign refused: ${err.code}: ${err.message}`);
    process.exit(1);
  }
  return data;
}

// context: what the phone shows of this sign-in (here made up; in your
// application the browser's address and user agent).
let state = await call("POST", "/v1/auth-requests", {
  user: process.env.COUNTERSIGN_USER,
  method: "push",
  context: { app: "Sign-in example", ip: "203.0.113.7" },
});
console.log(`Number: ${state.number}`);

while (state.status === "pending") {
  state = await call("GET", `/v1/auth-requests/${encodeURIComponent(state.id)}?wait=30s`);
}
console.log(`Status: ${state.status}${state.reason ? ` (${state.reason})` : ""}`);
process.exit(state.status === "approved" ? 0 : 1);
