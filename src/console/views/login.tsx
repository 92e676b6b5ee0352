/** Login with a registry account (POST /api/v1/session). */
import { useState } from 'preact/hooks';
import { login, type Me } from '../api.js';
import { Problem } from '../components.js';

export function LoginView({ notice, onLogin }: { notice: string; onLogin: (me: Me) => void }) {
  const [username, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  return (
    <main id="main" class="login">
      <h1>airlock registry</h1>
      {notice && (
        <p role="status" class="warning" data-notice="login">
          {notice}
        </p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            onLogin(await login(username, password));
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label for="username">User name</label>
        <input id="username" autocomplete="username" required value={username} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <button type="submit">Log in</button>
      </form>
      <Problem error={error} />
    </main>
  );
}
