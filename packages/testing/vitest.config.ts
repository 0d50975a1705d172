import { createVitestConfig } from './src/createVitestConfig.ts';

export default createVitestConfig({ globalSetup: false });
