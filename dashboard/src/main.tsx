import { render } from 'preact';
import { Api } from './api.js';
import { App } from './app.js';
import { takeToken } from './token.js';

/** Starts the page: the token from the URL's fragment (or this tab's storage), then the app. */
function main(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const token = takeToken();
  root.textContent = '';
  if (token === null) {
    render(
      <main class="refused">
        <div role="alert">
          <h1>No token</h1>
          <p>
            Every call to tend's API needs its token. Run <code>tend dashboard</code> and open the
            URL it prints (the token is in the part after <code>#</code>).
          </p>
        </div>
      </main>,
      root,
    );
    return;
  }
  render(<App api={new Api(token)} />, root);
}

main();
