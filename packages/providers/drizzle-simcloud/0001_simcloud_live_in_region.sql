-- Live instances of a provider in a region: deletions whose time has come free their slot even before
-- anyone settled them. A function, not a subquery in the create statement: the planner costs a call
-- the same whatever the region, so the prepared create keeps one generic plan. As a subquery, its
-- cost followed each region's statistics and Postgres planned most creates again (0.2 ms each, more
-- than running the statement), though the count only runs near capacity.
CREATE FUNCTION "simcloud"."live_in_region"("p_provider" text, "p_region" text) RETURNS integer
LANGUAGE sql STABLE AS $$
  select count(*)::int from simcloud.instances
  where provider = p_provider and region = p_region and state <> 'DELETED'
    and (target_state is distinct from 'DELETED' or settles_at > now())
$$;
