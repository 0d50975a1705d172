ALTER TABLE "billing"."budget_webhooks" RENAME COLUMN "secret" TO "plaintext_secret";--> statement-breakpoint
-- Hand-added (drizzle-kit drops it after a rename): the plaintext column empties once the subgraph's start has encrypted every row.
ALTER TABLE "billing"."budget_webhooks" ALTER COLUMN "plaintext_secret" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "billing"."budget_webhooks" ADD COLUMN "secret_key_id" text;--> statement-breakpoint
ALTER TABLE "billing"."budget_webhooks" ADD COLUMN "secret_nonce" text;--> statement-breakpoint
ALTER TABLE "billing"."budget_webhooks" ADD COLUMN "secret_ciphertext" text;--> statement-breakpoint
ALTER TABLE "billing"."budget_webhooks" ADD COLUMN "secret_auth_tag" text;--> statement-breakpoint
ALTER TABLE "billing"."budget_webhooks" ADD CONSTRAINT "budget_webhooks_one_secret" CHECK (num_nonnulls(secret_ciphertext, plaintext_secret) = 1);