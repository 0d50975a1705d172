/** The `iss` of development user tokens (signed with the embedded development key). */
export const developmentIssuer = 'https://novacron.local/dev';

/** The `aud` of development user tokens. */
export const developmentAudience = 'novacron';
