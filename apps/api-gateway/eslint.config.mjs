import js from '@eslint/js';
import base from '../../eslint.config.mjs';

const textOnly = 'the inspector shows event data, which is user input: insert text (textContent), never HTML';

export default [
  ...base,
  {
    // The inspector page's browser modules (plain JavaScript, served as written).
    files: ['src/inspector/browser/*.js'],
    rules: {
      ...js.configs.recommended.rules,
      // Names are checked against the DOM's types by tsconfig.inspector.json (checkJs).
      'no-undef': 'off',
      'no-restricted-properties': ['error', ...['innerHTML', 'outerHTML'].map((property) => ({ property, message: textOnly }))],
      'no-restricted-syntax': ['error', { selector: 'CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln|createContextualFragment|setHTMLUnsafe|parseHTMLUnsafe)$/]', message: textOnly }],
    },
  },
];
