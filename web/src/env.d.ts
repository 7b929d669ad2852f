// Side-effect CSS imports are bundled by esbuild into the app's stylesheet.
declare module '*.css';
