// The signed-in session: the API token from sign-up or login, kept in localStorage so a
// reload or a new tab stays signed in. Components subscribe to hear about log-in and log-out.

const KEY = 'berth.token';
type Listener = (reason: 'login' | 'logout' | 'expired') => void;
const listeners = new Set<Listener>();

function read(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the session lasts as long as the page
  }
}

let memory: string | null = read();

function write(token: string | null, reason: 'login' | 'logout' | 'expired') {
  memory = token;
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // storage disabled
  }
  listeners.forEach((listener) => listener(reason));
}

export const session = {
  token: () => memory,
  start: (token: string) => write(token, 'login'),
  end: () => write(null, 'logout'),
  /** The server refused the token (expired or revoked). */
  expire: () => write(null, 'expired'),
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab logged in or out.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== KEY) return;
    memory = event.newValue;
    listeners.forEach((listener) => listener(event.newValue ? 'login' : 'logout'));
  });
}
