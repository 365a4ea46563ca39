import { Link } from 'react-router';
import { useTitle } from '../hooks';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <section className="empty">
      <h1>There is nothing here</h1>
      <p>
        The address may be mistyped, or what was here was deleted. <Link to="/apps">Go to your apps</Link>.
      </p>
    </section>
  );
}
