use perx::core::eval::{Interaction, split};
use perx::core::recommend::tune::take;
use perx::core::recommend::{Model, Params, Recommender, evaluate_recommender};
fn main() {
    let text = std::fs::read_to_string("/work/shared/data/ml-1m/ratings.reconstructed-partial-timestamps.dat").unwrap();
    let ratings: Vec<Interaction> = text.lines().map(|l| { let f: Vec<&str> = l.split("::").collect(); Interaction { user: f[0].parse().unwrap(), movie: f[1].parse().unwrap() } }).collect();
    let s = split(&ratings, 42);
    let train = take(&ratings, &s.train);
    let v = split(&train, 7);
    let fit = take(&train, &v.train);
    let val = take(&train, &v.test);
    let args: Vec<String> = std::env::args().collect();
    let factors: usize = args.get(1).map_or(512, |a| a.parse().unwrap());
    for alpha in [0.125f32, 0.25, 0.375, 0.5] {
        for beta in [0.25f32, 0.5] {
            let p = Params { factors, item_exponent: alpha, user_exponent: beta, ..Params::default() };
            let m = Model::fit(&fit, p, "x").unwrap();
            let mut best = (0.0, 0.0, 0.0, 0.0);
            for lambda in [3.0f32, 5.0, 7.0, 10.0, 14.0, 20.0, 28.0] {
                for tail in [0.5f32, 1.0, 2.0] {
                for gamma in [0.0f32, 0.05, 0.1, 0.15] {
                    let r = Recommender::new(m.with_filter(lambda, tail, gamma).unwrap());
                    let nd = evaluate_recommender(&r, &val, 10).ndcg;
                    if nd > best.0 { best = (nd, lambda, tail, gamma); }
                }}
            }
            println!("k={factors} α={alpha} β={beta}: best val NDCG {:.4} at λ={} τ={} γ={}", best.0, best.1, best.2, best.3);
        }
    }
}
