import { mailwireProject } from '../../vitest.shared';

export default mailwireProject('store-maildir');
