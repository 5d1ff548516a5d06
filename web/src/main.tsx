import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app')!;
// The boot message goes: render() adds to what the element holds, it does not replace it.
root.textContent = '';
render(<App />, root);
