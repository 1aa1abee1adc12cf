export { parseDurationMs } from './lib/duration';
export { defaultConfigFile, loadSettings, settingsFromText, type LoadSettingsOptions } from './lib/load-settings';
export { settingsSchema, type Settings } from './lib/settings.schema';
export { ConfigError, parseTsk, type TskDocument, type TskValue } from './lib/tsk-parser';

