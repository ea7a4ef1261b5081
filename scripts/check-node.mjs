// Plain JavaScript on purpose: it must run on any Node, including the old one it warns about.
// Runs before `npm start` and `npm test`. `npm ci --ignore-scripts` installs no Node 24 binary and npm then
// silently falls back to the system Node; say so plainly instead of failing later in an odd way.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `sendwell: Node ${process.versions.node} is running, Sendwell needs Node 24 or newer. ` +
      'Run `npm ci` (without --ignore-scripts) so the pinned Node 24 from the `node` devDependency is installed, then try again.',
  );
  process.exit(1);
}
